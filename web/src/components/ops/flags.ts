/** Flag codes from the server → static i18n keys (the i18n test checks every key used exists). */
export const FLAG_KEYS: Record<string, string> = {
  'not-measured': 'ops.flag.notMeasured',
  'below-1080p': 'ops.flag.below1080p',
  'below-25fps': 'ops.flag.below25fps',
  'codec-not-standard': 'ops.flag.codecNotStandard',
  'no-frames': 'ops.flag.noFrames',
  frozen: 'ops.flag.frozen',
  black: 'ops.flag.black',
  blurry: 'ops.flag.blurry',
  noisy: 'ops.flag.noisy',
  'too-dark': 'ops.flag.tooDark',
};

/** not-measured is information, the rest are problems */
export const flagType = (f: string) => (f === 'not-measured' ? 'info' : 'danger');
