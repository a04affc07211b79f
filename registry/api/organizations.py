from flask_smorest import Blueprint

bp = Blueprint("organizations", __name__, url_prefix="/api/v1/organizations")
