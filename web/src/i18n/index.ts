import { createI18n } from 'vue-i18n';
import { computed, ref } from 'vue';
import elZhCn from 'element-plus/es/locale/lang/zh-cn.mjs';
import elEn from 'element-plus/es/locale/lang/en.mjs';
import zhCN from './zh-CN';
import en from './en';

export type AppLocale = 'zh-CN' | 'en';
export const LOCALES: AppLocale[] = ['zh-CN', 'en'];
const STORAGE_KEY = 'sharpeye.locale';

export function storedLocale(): AppLocale {
  try {
    const v = localStorage.getItem(STORAGE_KEY);
    if (v === 'en' || v === 'zh-CN') return v;
  } catch {
    /* ignore */
  }
  return 'zh-CN';
}

export const i18n = createI18n({
  legacy: false,
  locale: storedLocale(),
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': zhCN, en },
  missingWarn: false,
  fallbackWarn: false,
});

const current = ref<AppLocale>(storedLocale());

export const elementLocale = computed(() => (current.value === 'en' ? elEn : elZhCn));
export const currentLocale = computed(() => current.value);

export function setLocale(locale: AppLocale): void {
  current.value = locale;
  i18n.global.locale.value = locale;
  try {
    localStorage.setItem(STORAGE_KEY, locale);
  } catch {
    /* ignore */
  }
  document.documentElement.lang = locale;
}

export const t = (key: string, named?: Record<string, unknown>) =>
  named ? i18n.global.t(key, named) : i18n.global.t(key);
