"""One adapter per messaging channel, found through the registry in `channels.base`."""
# Importing an adapter module registers it; the SDK-backed adapters import their SDK only inside themselves.
from channels import console, email  # noqa: F401
