"""Request and response shapes, so the served OpenAPI schema describes the API for real."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

Int64 = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]
Int32 = Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]


class ErrorInfo(BaseModel):
    code: str
    message: str
    log_id: str


class Envelope(BaseModel):
    """``{data, error}``; success iff ``error.code == "ok"``."""

    data: dict[str, Any]
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


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")


class PostInfo(_Strict):
    privacy_level: str | None = None
    title: str = ""
    disable_duet: bool = False
    disable_stitch: bool = False
    disable_comment: bool = False
    video_cover_timestamp_ms: Int32 | None = None
    brand_content_toggle: bool = False
    brand_organic_toggle: bool = False
    is_aigc: bool = False


class SourceInfo(_Strict):
    source: str
    video_url: str | None = None
    video_size: Int64 | None = None
    chunk_size: Int64 | None = None
    total_chunk_count: Int64 | None = None


class DirectPostInit(_Strict):
    post_info: PostInfo
    source_info: SourceInfo


class InboxInit(_Strict):
    source_info: SourceInfo


class PhotoPostInfo(_Strict):
    title: str = ""
    description: str = ""
    privacy_level: str | None = None
    disable_comment: bool = False
    auto_add_music: bool = False
    brand_content_toggle: bool = False
    brand_organic_toggle: bool = False


class PhotoSourceInfo(_Strict):
    source: str
    photo_images: list[str] = Field(default_factory=list)
    photo_cover_index: Int32 = 0


class ContentInit(_Strict):
    media_type: str
    post_mode: str
    post_info: PhotoPostInfo = Field(default_factory=PhotoPostInfo)
    source_info: PhotoSourceInfo


class PublishIdBody(_Strict):
    publish_id: str


class VideoListBody(_Strict):
    cursor: Int64 | None = None
    max_count: Int32 = 10


class VideoFilters(_Strict):
    video_ids: list[str]


class VideoQueryBody(_Strict):
    filters: VideoFilters


class InboxPostBody(_Strict):
    privacy_level: str = "SELF_ONLY"
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
    reason: int = Field(default=1, ge=0, le=5)


class RedirectUrisBody(_Strict):
    redirect_uris: list[str]
