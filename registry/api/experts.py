from flask_smorest import Blueprint

bp = Blueprint("experts", __name__, url_prefix="/api/v1/experts")
