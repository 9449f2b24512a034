"""The register's typed errors: each of one kind (`digisom.kernel.errors`), slugs
prefixed `register-` or `vasp-`."""

from __future__ import annotations

from digisom.kernel import errors as kinds


class UnknownAsset(kinds.NotFound):
    """No asset with that symbol in the register."""

    slug = "register-unknown-asset"
    title = "No such asset in the register"


class AssetExists(kinds.Conflict):
    """An asset with that symbol is in the register already (with other contents)."""

    slug = "register-asset-exists"
    title = "The asset is in the register already"


class IllegalTransition(kinds.Conflict):
    """The entry's status does not allow this change."""

    slug = "register-illegal-transition"
    title = "The status does not allow this change"

    def __init__(self, subject: str, current: str, wanted: str) -> None:
        super().__init__(f"{subject} is {current}: it cannot become {wanted}", current=current, wanted=wanted)


class InvalidEntry(kinds.Invalid):
    """A register entry or licence field that is malformed or out of its limits."""

    slug = "register-invalid-entry"
    title = "The entry is not valid"


class BadSha256(kinds.Invalid):
    """A SHA-256 that is not 64 hex digits, or does not match the content it names."""

    slug = "register-bad-sha256"
    title = "The SHA-256 is malformed or does not match"


class UnknownVasp(kinds.NotFound):
    """No such VASP, or not the caller's own (a caller never learns which)."""

    slug = "vasp-unknown"
    title = "No such VASP"


class UnknownDocument(kinds.NotFound):
    """An application names a document that was not uploaded for this VASP."""

    slug = "vasp-unknown-document"
    title = "No such document"


class DocumentTooLarge(kinds.Invalid):
    """A document over its size limit (or empty); nothing was stored."""

    slug = "vasp-document-too-large"
    title = "The document is over its size limit"
    status = 413


class FourEyesViolation(kinds.Forbidden):
    """The registrar who proposed a review may not approve it."""

    slug = "vasp-four-eyes"
    title = "A second registrar must approve this review"


class DuplicateLicenceNumber(kinds.Conflict):
    """A licence with this number was granted already."""

    slug = "vasp-duplicate-licence-number"
    title = "The licence number is taken"
