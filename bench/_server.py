"""Re-export of the real-server helper so each benchmark reads top to bottom."""

from tracehound.testing import free_port, running_server, wait_healthy

__all__ = ["free_port", "running_server", "wait_healthy"]
