"""The person's news feed address: made on first visit, renewed on request."""

from __future__ import annotations

from sqlalchemy import select

from tracker.auth.models import User
from tracker.extensions import db
from tracker.public.models import NewsFeed, new_news_token


def news_feed_for(user: User) -> NewsFeed:
    news = db.session.scalar(select(NewsFeed).where(NewsFeed.user_id == user.id))
    if news is None:
        news = NewsFeed(user_id=user.id, token=new_news_token())
        db.session.add(news)
        db.session.flush()
    return news


def renew_news_feed(user: User) -> NewsFeed:
    """A new secret address; the old one stops working at once."""
    news = news_feed_for(user)
    news.token = new_news_token()
    db.session.flush()
    return news
