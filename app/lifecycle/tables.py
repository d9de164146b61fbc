"""The whole schema's metadata, every domain's tables registered (deletion walks it).

`app.schema` sits above this layer; the domains below are imported here instead, so the
walk cannot miss a table because its module happened not to be imported yet.
"""

from __future__ import annotations

from app.accounts import models as _accounts  # noqa: F401
from app.analytics import models as _analytics  # noqa: F401
from app.authz import models as _authz  # noqa: F401
from app.classroom import models as _classroom  # noqa: F401
from app.core.db import metadata
from app.identity import models as _identity  # noqa: F401
from app.jobs import models as _jobs  # noqa: F401
from app.lifecycle import models as _lifecycle  # noqa: F401
from app.oneroster import models as _oneroster  # noqa: F401
from app.privacy import models as _privacy  # noqa: F401
from app.retention import models as _retention  # noqa: F401
from app.rights import models as _rights  # noqa: F401
from app.rights.export import models as _export  # noqa: F401
from app.roster import models as _roster  # noqa: F401
from app.tenancy import models as _tenancy  # noqa: F401

__all__ = ["metadata"]
