/** The routes the API serves, so that a known path with another method gets 405 and Allow. */
const ROUTES: { pattern: RegExp; methods: string[] }[] = [
  { pattern: /^\/v2\/images$/, methods: ['GET', 'POST'] },
  { pattern: /^\/v2\/images\/[^/]+$/, methods: ['GET', 'PATCH', 'DELETE'] },
  { pattern: /^\/v2\/images\/[^/]+\/file$/, methods: ['GET', 'PUT'] },
  { pattern: /^\/v2\/images\/[^/]+\/tags\/[^/]+$/, methods: ['PUT', 'DELETE'] },
  { pattern: /^\/v2\/images\/[^/]+\/members$/, methods: ['GET', 'POST'] },
  { pattern: /^\/v2\/images\/[^/]+\/members\/[^/]+$/, methods: ['GET', 'PUT', 'DELETE'] },
  { pattern: /^\/v2\/images\/[^/]+\/actions\/(deactivate|reactivate)$/, methods: ['POST'] },
  { pattern: /^\/v2\/schemas\/(image|images|member|members)$/, methods: ['GET'] },
  { pattern: /^\/v2\/images\/[^/]+\/stage$/, methods: ['PUT'] },
  { pattern: /^\/v2\/images\/[^/]+\/import$/, methods: ['POST'] },
  { pattern: /^\/v2\/images\/[^/]+\/tasks$/, methods: ['GET'] },
  { pattern: /^\/v2\/stores\/[^/]+\/[^/]+$/, methods: ['DELETE'] },
  { pattern: /^\/v2\/tasks$/, methods: ['GET'] },
  { pattern: /^\/v2\/tasks\/[^/]+$/, methods: ['GET'] },
  { pattern: /^\/v2\/info\/(usage|import|stores|stores\/detail)$/, methods: ['GET'] },
  { pattern: /^\/v2\/cache$/, methods: ['GET', 'DELETE'] },
  { pattern: /^\/v2\/cache\/(prune|clean)$/, methods: ['POST'] },
  { pattern: /^\/v2\/cache\/nodes\/[^/]+$/, methods: ['GET'] },
  { pattern: /^\/v2\/cache\/[^/]+$/, methods: ['PUT', 'DELETE'] },
  { pattern: /^\/versions$/, methods: ['GET'] },
];

export function allowedMethods(path: string): string[] {
  const normalised = path.length > 1 ? path.replace(/\/+$/, '') : path;
  return ROUTES.find((route) => route.pattern.test(normalised))?.methods ?? [];
}
