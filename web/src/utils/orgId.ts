import type { OrgType } from '../api/types';

/** Id shapes of docs/api.md: regions are 2–8 digit civil codes; business groups (215) and virtual orgs (216) are 20-digit GB ids. */
export function orgIdPattern(type: OrgType): RegExp {
  switch (type) {
    case 'region':
      return /^\d{2,8}$/;
    case 'business_group':
      return /^\d{10}215\d{7}$/;
    case 'virtual_org':
      return /^\d{10}216\d{7}$/;
  }
}
