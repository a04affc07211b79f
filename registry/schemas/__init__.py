"""marshmallow schemas: validation at the edge, and the JSON shapes of the API."""
