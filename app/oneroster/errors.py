"""The OneRoster status-info payload for errors of the REST provider (not problem+json)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


class StatusInfoError(Exception):
    """`imsx_CodeMinor` names what failed: invalid_filter_field, unknown_object, ..."""

    def __init__(self, status: int, code_minor: str, description: str) -> None:
        super().__init__(description)
        self.status, self.code_minor, self.description = status, code_minor, description


def status_info(status: int, code_minor: str, description: str) -> JSONResponse:
    body = {
        "imsx_codeMajor": "failure",
        "imsx_severity": "error",
        "imsx_description": description,
        "imsx_CodeMinor": {
            "imsx_codeMinorField": [
                {
                    "imsx_codeMinorFieldName": "TargetEndSystem",
                    "imsx_codeMinorFieldValue": code_minor,
                }
            ]
        },
    }
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, headers=headers)


def install_status_info(app: FastAPI) -> None:
    @app.exception_handler(StatusInfoError)
    async def _status_info(request: Request, exc: StatusInfoError) -> JSONResponse:
        return status_info(exc.status, exc.code_minor, exc.description)
