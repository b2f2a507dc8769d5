"""The demo: a customer-support agent instrumented with the public SDK, and traffic to drive it."""
