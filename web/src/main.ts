import { createApp } from 'vue';
import { createPinia } from 'pinia';
import App from './App.vue';
import { installLoginUi } from './ui/login-ui';
import { rememberApp } from './ui/shell';
import { router } from './router';
import { i18n, storedLocale, setLocale } from './i18n';
import { onUnauthorized } from './api/http';
import { useAuthStore } from './stores/auth';
import { useEventsStore } from './stores/events';
import { installAccessReasonPrompt } from './utils/accessReason';
import './styles.css';

const app = createApp(App);
const pinia = createPinia();
app.use(pinia);
app.use(i18n);
installLoginUi(app); // the rest of Element Plus arrives with the signed-in shell (ui/shell.ts)
rememberApp(app);
app.use(router);
setLocale(storedLocale());

/** The session is gone (401, or the event socket closed as revoked): back to the login page. */
function sessionLost() {
  const auth = useAuthStore(pinia);
  auth.clear();
  const current = router.currentRoute.value;
  if (current.name !== 'login') {
    void router.replace({ name: 'login', query: { redirect: current.fullPath, expired: '1' } });
  }
}
onUnauthorized(sessionLost);
installAccessReasonPrompt(); // sensitive channels ask why (R11)
useEventsStore(pinia).onRevoked(sessionLost);

app.mount('#app');
