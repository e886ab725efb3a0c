import { createI18n } from 'vue-i18n';
import { computed, ref } from 'vue';
import elZhCn from 'element-plus/es/locale/lang/zh-cn.mjs';
import elEn from 'element-plus/es/locale/lang/en.mjs';
import zhCN from './zh-CN';
import en from './en';
import playbackZhCN from './playback.zh-CN';
import playbackEn from './playback.en';
import liveZhCN from './live.zh-CN';
import liveEn from './live.en';
import patrolZhCN from './patrol.zh-CN';
import patrolEn from './patrol.en';
import imagesZhCN from './images.zh-CN';
import imagesEn from './images.en';
import namingZhCN from './naming.zh-CN';
import namingEn from './naming.en';
import opsalertsZhCN from './opsalerts.zh-CN';
import opsalertsEn from './opsalerts.en';
import opsZhCN from './ops.zh-CN';
import opsEn from './ops.en';
import viewauditZhCN from './viewaudit.zh-CN';
import viewauditEn from './viewaudit.en';

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

/** Every message: the core files with the per-page files spread in (i18n.test.ts checks these). */
export const messages = { 'zh-CN': { ...zhCN, ...opsZhCN, ...playbackZhCN, ...liveZhCN, ...patrolZhCN, ...imagesZhCN, ...namingZhCN, ...opsalertsZhCN, ...viewauditZhCN }, en: { ...en, ...opsEn, ...playbackEn, ...liveEn, ...patrolEn, ...imagesEn, ...namingEn, ...opsalertsEn, ...viewauditEn } };

export const i18n = createI18n({
  legacy: false,
  locale: storedLocale(),
  fallbackLocale: 'zh-CN',
  messages,
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
