import { Inject, Injectable } from '@nestjs/common';
import { type CallerContext, forbidden } from '@glimpse/contracts';
import { PolicyEnforcer, credentials } from '@glimpse/access';
import { API_SETTINGS, type ApiSettings } from '../api.settings';
import { type PropertyOperation, type ProtectionRule, loadProtections } from './property-protection-file';

/** Applies property_protection_file to the custom properties a caller creates, reads, updates or deletes. */
@Injectable()
export class PropertyProtections {
  private readonly rules: ProtectionRule[] | null;
  private readonly format: 'roles' | 'policies';

  constructor(
    @Inject(API_SETTINGS) settings: ApiSettings,
    private readonly policy: PolicyEnforcer,
  ) {
    this.format = settings.propertyProtectionFormat;
    this.rules = settings.propertyProtectionFile ? loadProtections(settings.propertyProtectionFile, this.format) : null;
  }

  allows(caller: CallerContext, property: string, operation: PropertyOperation): boolean {
    if (!this.rules) return true;
    const rule = this.rules.find((r) => r.pattern.test(property));
    if (!rule) return false;
    const permissions = rule.permissions[operation];
    if (permissions.includes('!') || permissions.length === 0) return false;
    if (permissions.includes('@')) return true;
    if (this.format === 'policies') return this.policy.allowsNamed(permissions[0], caller, {});
    const roles = credentials(caller).roles;
    return permissions.some((role) => roles.includes(role.toLowerCase()));
  }

  /** A filter for views: which custom properties this caller may read. */
  readable(caller: CallerContext): (property: string) => boolean {
    if (!this.rules) return () => true;
    return (property) => this.allows(caller, property, 'read');
  }

  authorize(caller: CallerContext, property: string, operation: PropertyOperation): void {
    if (!this.allows(caller, property, operation)) throw forbidden(`Property '${property}' is protected: ${operation} is not allowed.`);
  }
}
