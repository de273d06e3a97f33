// Live pages: see chefshop/live.py. Filled in with the websocket layer.
