from flask_smorest import Blueprint

bp = Blueprint("requests", __name__, url_prefix="/api/v1/requests")
