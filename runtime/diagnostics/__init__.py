"""Training-dynamics measurements: per-role activation and update sizes, singular values and
attention entropy during training (dynamics.py), the top Hessian eigenvalue (sharpness.py),
and the coordinate check (coord_check.py)."""
