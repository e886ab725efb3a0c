/**
 * The few Element Plus components (and their styles) the login page needs, so the first page a browser loads stays
 * small; the full library and every icon come with the signed-in shell (./shell.ts).
 */
import type { App } from 'vue';
import { ElAlert, ElButton, ElConfigProvider, ElDropdown, ElDropdownItem, ElDropdownMenu, ElForm, ElFormItem, ElIcon, ElInput } from 'element-plus';
import { ChatDotRound, Lock, User } from '@element-plus/icons-vue';
import 'element-plus/theme-chalk/base.css';
import 'element-plus/theme-chalk/el-config-provider.css';
import 'element-plus/theme-chalk/el-alert.css';
import 'element-plus/theme-chalk/el-button.css';
import 'element-plus/theme-chalk/el-form.css';
import 'element-plus/theme-chalk/el-form-item.css';
import 'element-plus/theme-chalk/el-input.css';
import 'element-plus/theme-chalk/el-icon.css';
import 'element-plus/theme-chalk/el-popper.css';
import 'element-plus/theme-chalk/el-scrollbar.css';
import 'element-plus/theme-chalk/el-dropdown.css';
import 'element-plus/theme-chalk/el-dropdown-menu.css';
import 'element-plus/theme-chalk/el-dropdown-item.css';

export function installLoginUi(app: App): void {
  for (const c of [ElConfigProvider, ElAlert, ElButton, ElForm, ElFormItem, ElInput, ElIcon, ElDropdown, ElDropdownMenu, ElDropdownItem]) app.use(c);
  app.component('User', User).component('Lock', Lock).component('ChatDotRound', ChatDotRound);
}
