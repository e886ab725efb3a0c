/**
 * One-way imports (docs/architecture.md): core/config → lib → store/stream → media → services → api/servers → main.
 * A lower layer never imports a higher one; services reach media only through the MediaNode interface.
 */
const SERVICES = '^src/(gb28181|live|onvif|record|cascade|images|patrol|alarms|map|cluster|ops|auth|archive|security)/';
const rule = (name, from, to, comment) => ({ name, severity: 'error', comment, from: { path: from }, to: { path: to } });

module.exports = {
  forbidden: [
    rule('core-is-the-bottom', '^src/(core|config)/', '^src/(?!core/|config/)', 'core and config import only core/config'),
    rule('lib-is-pure', '^src/lib/', '^src/(?!lib/)', 'codecs in lib import nothing of ours outside lib'),
    rule('store-below-services', '^src/(store|stream)/', '^src/(media|gb28181|live|onvif|record|cascade|images|patrol|alarms|map|cluster|ops|auth|archive|security|api|servers|main|platform)', 'store and hub sit below media and services'),
    rule('sip-stack-below-services', '^src/sip/', `${SERVICES}|^src/(media|store|stream|api|servers|main|platform)`, 'the SIP transaction layer knows only core and lib'),
    rule('media-below-services', '^src/media/', `${SERVICES}|^src/(api|servers|main|platform)`, 'media does not know the control side'),
    rule('services-below-edges', SERVICES, '^src/(api|servers|main\\.ts|platform\\.ts)', 'services do not import HTTP/SIP edges'),
    rule('services-use-medianode', SERVICES, '^src/stream/', 'services reach streams only through the MediaNode interface'),
    rule('api-not-servers', '^src/api/', '^src/(servers|main\\.ts)', 'api routes do not import the socket edges'),
    { name: 'no-circular', severity: 'error', from: { path: '^src/' }, to: { circular: true } },
    { name: 'no-orphans', severity: 'warn', from: { orphan: true, pathNot: ['\\.d\\.ts$', '^src/main\\.ts$'] }, to: {} },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
