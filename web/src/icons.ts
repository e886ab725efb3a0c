import type { App } from 'vue';
import * as Icons from '@element-plus/icons-vue';

/** Registers every Element Plus icon globally (menus and buttons name them by string). */
export const iconsPlugin = {
  install(app: App) {
    for (const [name, comp] of Object.entries(Icons)) app.component(name, comp);
  },
};
