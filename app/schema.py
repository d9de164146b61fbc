"""Every table of every domain, so metadata and migrations see the whole schema."""

from sqlmodel import SQLModel

from app.accounts import models as accounts_models
from app.analytics import models as analytics_models
from app.authz import models as authz_models
from app.classroom import models as classroom_models
from app.identity import models as identity_models
from app.jobs import models as jobs_models
from app.lifecycle import models as lifecycle_models
from app.oneroster import models as oneroster_models
from app.privacy import models as privacy_models
from app.retention import models as retention_models
from app.rights import models as rights_models
from app.rights.export import models as export_models
from app.roster import models as roster_models
from app.tenancy import models as tenancy_models

metadata = SQLModel.metadata
DOMAIN_MODELS = (
    tenancy_models,
    accounts_models,
    roster_models,
    authz_models,
    privacy_models,
    classroom_models,
    analytics_models,
    jobs_models,
    export_models,
    rights_models,
    oneroster_models,
    identity_models,
    retention_models,
    lifecycle_models,
)


def tenant_tables() -> list[str]:
    """Tenant-owned tables: the ones with a `tenant_id` column."""
    return sorted(t.name for t in metadata.sorted_tables if "tenant_id" in t.c)
