export * from './caller';
export * from './policy-enforcer';
export { credentials } from './policy-credentials';
export type { Credentials, Target } from './policy-expression';
export { type IdentityConfig, type KeystoneAuthtokenOptions, identitySettings } from './identity-settings';
export { KeystoneUnauthorized, wwwAuthenticateOf } from './keystone/keystone-auth';
export type { KeystoneSettings } from './keystone/keystone-client';
export { authorizeDownload, visibleImage } from './image-rules';
