"""Reading an uploaded file without trusting its declared size."""

from __future__ import annotations

from fastapi import UploadFile

from cbec.kernel.errors import FieldError, ValidationFailed


def read_limited(upload: UploadFile, limit: int) -> bytes:
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        raise ValidationFailed(
            [
                FieldError(
                    "file",
                    "file.too_large",
                    f"the upload is larger than the limit of {limit} bytes",
                    "split the file into smaller workbooks",
                )
            ]
        )
    if not data:
        raise ValidationFailed(
            [
                FieldError(
                    "file",
                    "file.empty",
                    "the uploaded file is empty",
                    "choose the filled-in template and upload it again",
                )
            ]
        )
    return data
