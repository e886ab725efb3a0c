/** The whole Element Plus library, its styles and every icon: loaded with the signed-in shell, not on the login page. */
import type { App } from 'vue';
import ElementPlus from 'element-plus';
import 'element-plus/dist/index.css';
import * as Icons from '@element-plus/icons-vue';

/** for code outside the pages that needs a dialog (the sensitive-channel reason prompt) */
export { ElMessageBox } from 'element-plus';

export function installFullUi(app: App): void {
  app.use(ElementPlus);
  for (const [name, comp] of Object.entries(Icons)) if (!app.component(name)) app.component(name, comp);
}
