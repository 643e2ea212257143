from . import subscription_plan
from . import close_reason
from . import product_template
from . import account_move_line
from . import sale_order_line
from . import sale_order
