// Deployment settings. The local stack serves this file as is; a deployment uploads its own (docs/portal.md).
export const config = {
  // Base URL of the management API; "" means the portal's own origin (the local stack serves both).
  apiUrl: "",
  // Integration point for the identity provider's login (OIDC authorization code + PKCE): an async
  // function resolving to an access token. When null, the portal asks for a token to paste.
  tokenProvider: null,
};
