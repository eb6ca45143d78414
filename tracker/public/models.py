"""A person's secret address of the "you said, we did" news feed: feed readers cannot log in."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.auth.models import User
from tracker.extensions import db
from tracker.types import UTCDateTime, utcnow


def new_news_token() -> str:
    return secrets.token_urlsafe(24)


class NewsFeed(db.Model):
    """The key in a person's feed address. Renewing it revokes the old address; a deactivated
    person's address stops working."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), unique=True)
    token: Mapped[str] = mapped_column(String(64), unique=True, default=new_news_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship()
