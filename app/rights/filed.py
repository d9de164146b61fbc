"""A rights request as the service handles it: the request, its school parts, their schools."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from app.rights.models import RightsRequest, SchoolRightsRequest
from app.tenancy.models import Tenant


@dataclass
class Filed:
    """A request with its school parts and the schools they belong to."""

    request: RightsRequest
    parts: list[SchoolRightsRequest] = field(default_factory=list)
    schools: dict[uuid.UUID, Tenant] = field(default_factory=dict)
    created: bool = True
