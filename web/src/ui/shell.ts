/**
 * Lazy loader of the signed-in shell (MainLayout): installs the full UI library on the running app first, so the
 * pages inside can use any Element Plus component and icon by name.
 */
import type { App } from 'vue';

let app: App | null = null;
let ui: Promise<void> | null = null;

export function rememberApp(a: App): void {
  app = a;
}

export function loadFullUi(): Promise<void> {
  ui ??= import('./full-ui').then((m) => {
    if (app) m.installFullUi(app);
  });
  return ui;
}

export async function loadShell() {
  const [, layout] = await Promise.all([loadFullUi(), import('../layouts/MainLayout.vue')]);
  return layout;
}
