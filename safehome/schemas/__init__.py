"""marshmallow schemas for the JSON API: separate ones for query, input and output."""
from marshmallow import EXCLUDE, RAISE, Schema


class InputSchema(Schema):
    """Input: unknown fields are an error, so a typo never silently does nothing."""

    class Meta:
        unknown = RAISE


class QuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE
