from flask_smorest import Blueprint

bp = Blueprint("cases", __name__, url_prefix="/api/v1/cases")
