from flask_smorest import Blueprint

bp = Blueprint("reference", __name__, url_prefix="/api/v1/reference")
