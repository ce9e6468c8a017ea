"""Request and response shapes, so the served OpenAPI schema describes the API for real."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from .chunks import MAX_CHUNK, MAX_CHUNKS, MAX_VIDEO_SIZE


def _integral(value: object) -> object:
    """JSON Schema's ``integer`` includes ``5.0``; strict pydantic would refuse it."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# A JSON integer: an int or an integral number; never a string or a bool (the models are strict).
JsonInt = Annotated[int, BeforeValidator(_integral)]
# The contract's int64 fields, held to what a JSON number carries exactly (2**53 - 1, like JavaScript's
# MAX_SAFE_INTEGER): OpenAPI bounds are floats, and near 2**63 they are off by hundreds, so a client
# generated from the schema could send a "valid" number the server then refused; SQLite takes these.
Int64 = Annotated[int, Field(ge=-(2**53 - 1), le=2**53 - 1), BeforeValidator(_integral)]
Int32 = Annotated[int, Field(ge=-(2**31), le=2**31 - 1), BeforeValidator(_integral)]


class ErrorInfo(BaseModel):
    code: str
    message: str
    log_id: str


class Envelope(BaseModel):
    """``{data, error}``; success iff ``error.code == "ok"``."""

    data: dict[str, Any]
    error: ErrorInfo


class ErrorEnvelope(BaseModel):
    """An error: ``data`` is ``{}`` and ``error.code`` names it."""

    data: dict[str, Any]
    error: ErrorInfo


def api_responses(ok: Any, **codes: str) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for an enveloped endpoint: ``ok`` is the 200 body's model, ``codes`` maps
    ``"e400"`` etc. to the error codes the endpoint answers with that status (401, 429 and 5XX are
    there for every one)."""
    errors = {
        401: "`access_token_invalid` (missing, unknown, revoked or expired token: refresh), `scope_not_authorized`."
        " Checked before anything else about the request.",
        429: "`rate_limit_exceeded`; `Retry-After` says when to try again.",
        **{int(key[1:]): text for key, text in codes.items()},
        "5XX": "`internal_error`: retry later.",
    }
    out: dict[int | str, dict[str, Any]] = {200: {"model": ok, "description": "`error.code` is `ok`."}}
    for status, text in sorted(errors.items(), key=lambda kv: str(kv[0])):
        out[status] = {"model": ErrorEnvelope, "description": text}
    out[429]["headers"] = {
        "Retry-After": {"description": "seconds", "required": True, "schema": {"type": "integer"}}
    }
    return out


class _Data(BaseModel):
    model_config = ConfigDict(extra="allow")


class CreatorInfoData(_Data):
    creator_avatar_url: str
    creator_username: str
    creator_nickname: str
    privacy_level_options: list[str]
    comment_disabled: bool
    duet_disabled: bool
    stitch_disabled: bool
    max_video_post_duration_sec: int


class CreatorInfoEnvelope(BaseModel):
    """The creator's options; the posting caps (`spam_risk_*`) come back here too, with HTTP 200 and
    ``data: {}``, as the platform documents."""

    data: CreatorInfoData | dict[str, Any]
    error: ErrorInfo


class InitData(_Data):
    publish_id: str = Field(max_length=64)
    upload_url: str = Field(
        max_length=256, description="PUT the chunks here (query string included), within 1 hour."
    )


class InitEnvelope(BaseModel):
    data: InitData
    error: ErrorInfo


class PhotoInitData(_Data):
    publish_id: str = Field(max_length=64)


class PhotoInitEnvelope(BaseModel):
    data: PhotoInitData
    error: ErrorInfo


class StatusData(_Data):
    status: Literal[
        "PROCESSING_UPLOAD", "PROCESSING_DOWNLOAD", "SEND_TO_USER_INBOX", "PUBLISH_COMPLETE", "FAILED"
    ]
    fail_reason: str
    publicaly_available_post_id: list[int] = Field(description="(sic) the post ids once public.")
    uploaded_bytes: int | None = Field(default=None, description="FILE_UPLOAD only.")
    downloaded_bytes: int | None = Field(default=None, description="PULL_FROM_URL only.")


class StatusEnvelope(BaseModel):
    data: StatusData
    error: ErrorInfo


class User(_Data):
    """Only the requested ``fields`` are present."""

    open_id: str | None = None
    union_id: str | None = None
    avatar_url: str | None = None
    avatar_url_100: str | None = None
    avatar_large_url: str | None = None
    display_name: str | None = None
    bio_description: str | None = None
    profile_deep_link: str | None = None
    is_verified: bool | None = None
    username: str | None = None
    follower_count: int | None = None
    following_count: int | None = None
    likes_count: int | None = None
    video_count: int | None = None


class UserData(_Data):
    user: User


class UserEnvelope(BaseModel):
    data: UserData
    error: ErrorInfo


class Video(_Data):
    """Only the requested ``fields`` are present."""

    id: str | None = None
    create_time: int | None = None
    cover_image_url: str | None = None
    share_url: str | None = None
    video_description: str | None = None
    duration: int | None = None
    height: int | None = None
    width: int | None = None
    title: str | None = None
    embed_html: str | None = None
    embed_link: str | None = None
    like_count: int | None = None
    comment_count: int | None = None
    share_count: int | None = None
    view_count: int | None = None
    is_aigc: bool | None = None


class VideoListData(_Data):
    videos: list[Video]
    cursor: int
    has_more: bool


class VideoListEnvelope(BaseModel):
    data: VideoListData
    error: ErrorInfo


class VideoQueryData(_Data):
    videos: list[Video]


class VideoQueryEnvelope(BaseModel):
    data: VideoQueryData
    error: ErrorInfo


class OAuthErrorBody(BaseModel):
    error: str
    error_description: str
    log_id: str


class TokenResponse(BaseModel):
    open_id: str
    scope: str
    access_token: str
    expires_in: int
    refresh_token: str
    refresh_expires_in: int
    token_type: str


def _has_lone_surrogate(value: object) -> bool:
    if isinstance(value, str):
        return any("\ud800" <= ch <= "\udfff" for ch in value)
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(v) for v in value)
    return False


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")

    @model_validator(mode="before")
    @classmethod
    def _valid_unicode(cls, data: Any) -> Any:
        # JSON's "\ud800" decodes to a str that SQLite (UTF-8) cannot take: a 400, not a 500
        if _has_lone_surrogate(data):
            raise ValueError("strings must be valid Unicode (a lone surrogate escape was sent)")
        return data


PrivacyLevel = Literal["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY"]
HttpsUrl = Annotated[str, Field(pattern=r"^https://")]


class PostInfo(_Strict):
    privacy_level: PrivacyLevel = Field(
        description="One of the creator's `privacy_level_options` (creator_info); another value of the"
        " enum is 403 `privacy_level_option_mismatch`."
    )
    title: str = Field(
        default="", max_length=2200, description="Caption, at most 2200 UTF-16 code units (checked exactly)."
    )
    disable_duet: bool = False
    disable_stitch: bool = False
    disable_comment: bool = False
    video_cover_timestamp_ms: Int32 | None = None
    brand_content_toggle: bool = False
    brand_organic_toggle: bool = False
    is_aigc: bool = False


class FileUploadSource(_Strict):
    """The file follows in chunks: ``total_chunk_count == floor(video_size / chunk_size)``, 1–1000
    chunks, each 5 MiB–64 MB but the final one (≤ 128 MB), one chunk of ``video_size`` under 5 MiB.
    The arithmetic between the three is checked at init: 400 ``invalid_params``."""

    source: Literal["FILE_UPLOAD"]
    video_size: JsonInt = Field(ge=1, le=MAX_VIDEO_SIZE)
    chunk_size: JsonInt = Field(ge=1, le=MAX_CHUNK)  # no larger chunk_size passes validate_plan
    total_chunk_count: JsonInt = Field(ge=1, le=MAX_CHUNKS)


class PullFromUrlSource(_Strict):
    """Accepted as documented, then refused with 403 ``url_ownership_unverified`` (no verified domains)."""

    source: Literal["PULL_FROM_URL"]
    video_url: HttpsUrl


SourceInfo = Annotated[FileUploadSource | PullFromUrlSource, Field(discriminator="source")]


class DirectPostInit(_Strict):
    post_info: PostInfo
    source_info: SourceInfo


class InboxInit(_Strict):
    source_info: SourceInfo


class PhotoPostInfo(_Strict):
    title: str = Field(
        default="", max_length=90, description="At most 90 UTF-16 code units (checked exactly)."
    )
    description: str = Field(default="", max_length=4000, description="At most 4000 UTF-16 code units.")
    privacy_level: PrivacyLevel | None = Field(
        default=None, description="Needed for DIRECT_POST: one of the creator's options, else 403."
    )
    disable_comment: bool = False
    auto_add_music: bool = False
    brand_content_toggle: bool = False
    brand_organic_toggle: bool = False


class PhotoSourceInfo(_Strict):
    source: Literal["PULL_FROM_URL"]
    photo_images: list[HttpsUrl] = Field(min_length=1, max_length=35)
    photo_cover_index: JsonInt = Field(default=0, ge=0, le=34, description="Must index photo_images.")


class ContentInit(_Strict):
    media_type: Literal["PHOTO"]
    post_mode: Literal["DIRECT_POST", "MEDIA_UPLOAD"]
    post_info: PhotoPostInfo = Field(default_factory=PhotoPostInfo)
    source_info: PhotoSourceInfo


class PublishIdBody(_Strict):
    publish_id: str = Field(min_length=1, max_length=64)


class VideoListBody(_Strict):
    cursor: Int64 | None = Field(
        default=None, description="UTC ms; posts strictly before it. Absent, null or ≤ 0: from now."
    )
    max_count: JsonInt = Field(default=10, ge=1, le=20)


class VideoFilters(_Strict):
    video_ids: list[str] = Field(min_length=1, max_length=20)


class VideoQueryBody(_Strict):
    filters: VideoFilters


class InboxPostBody(_Strict):
    privacy_level: PrivacyLevel = "SELF_ONLY"
    title: str = ""


class ClockBody(_Strict):
    advance_s: float | None = Field(default=None, ge=0)
    set_time: float | None = Field(default=None, ge=0)
    speed: float | None = Field(default=None, ge=0)


class WebhookTargetBody(_Strict):
    url: str
    client_key: str | None = None


class ReplayBody(_Strict):
    ids: list[Int64] | None = None


class DisconnectBody(_Strict):
    reason: JsonInt = Field(default=1, ge=0, le=5)


class RedirectUrisBody(_Strict):
    redirect_uris: list[str]
