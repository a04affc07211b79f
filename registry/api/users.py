from flask_smorest import Blueprint

bp = Blueprint("users", __name__, url_prefix="/api/v1/users")
