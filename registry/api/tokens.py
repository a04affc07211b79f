from flask_smorest import Blueprint

bp = Blueprint("tokens", __name__, url_prefix="/api/v1/tokens")
