from flask_smorest import Blueprint

bp = Blueprint("assignments", __name__, url_prefix="/api/v1/assignments")
