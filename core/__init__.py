"""The application factory and what every domain shares: database, errors, auth, time."""
from core.app import create_app

__all__ = ['create_app']
