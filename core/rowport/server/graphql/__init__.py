"""The reference SDK's GraphQL endpoint on ``rowport serve`` (``docs/labelbox-sdk.md``)."""

from rowport.server.graphql._endpoint import GRAPHQL_PATH, GraphQLError, graphql_routes
from rowport.server.graphql._files import Signer

__all__ = ["GRAPHQL_PATH", "GraphQLError", "Signer", "graphql_routes"]
