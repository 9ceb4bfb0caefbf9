"""Act: close the loop. Routing rules turn feedback into action items for departments (inner loop),
items move through a status machine with SLA due times and a full history, departments work them in
the app or in an Excel round trip, figures show whether the loop closes, and improvement actions track
fixes of systemic causes (outer loop)."""
