import { unwatchFile, watchFile } from 'node:fs';
import { Logger, type OnModuleDestroy } from '@nestjs/common';
import { type CallerContext, type ImageRecord, forbidden } from '@glimpse/contracts';
import { type Target, evaluate } from './policy-expression';
import { type RuleSet, loadRules } from './policy-file';
import { credentials } from './policy-credentials';

/** How often the policy file's mtime is looked at. */
const RELOAD_CHECK_MS = 1000;

export type PolicyRule =
  | 'add_image' | 'get_images' | 'get_image' | 'modify_image' | 'delete_image' | 'upload_image'
  | 'download_image' | 'publicize_image' | 'communitize_image' | 'deactivate' | 'reactivate'
  | 'add_member' | 'delete_member' | 'get_member' | 'get_members' | 'modify_member'
  | 'get_image_location' | 'set_image_location' | 'delete_image_location' | 'stores_info_detail'
  | 'copy_image' | 'tasks_api_access' | 'get_task' | 'get_tasks' | 'add_task'
  | 'cache_list' | 'cache_image' | 'cache_delete' | 'cache_prune' | 'cache_clean' | 'list_cached_nodes';

export interface PolicySettings {
  /** [oslo_policy] policy_file; null means Glance's defaults alone. */
  policyFile: string | null;
  /** Rule names used outside the policy file (property protections in policies format). */
  referencedRules?: readonly string[];
}

/**
 * Every route asks here before it acts. Rules come from Glance's defaults and the policy file,
 * which is re-read when it changes (a broken edit is logged and the previous rules stay).
 */
export class PolicyEnforcer implements OnModuleDestroy {
  private readonly logger = new Logger('PolicyEnforcer');
  private rules: RuleSet;
  private readonly file: string | null;
  private readonly referenced: readonly string[];

  constructor(settings: PolicySettings) {
    this.file = settings.policyFile;
    this.referenced = settings.referencedRules ?? [];
    this.rules = loadRules(this.file, this.referenced);
    if (this.file) {
      const file = this.file;
      watchFile(file, { interval: RELOAD_CHECK_MS, persistent: false }, () => this.reload(file));
    }
  }

  allows(rule: PolicyRule, caller: CallerContext, target: Target): boolean {
    return this.allowsNamed(rule, caller, target);
  }

  /** A rule by any name, such as those a policies-format property protection file names. */
  allowsNamed(rule: string, caller: CallerContext, target: Target): boolean {
    const check = this.rules.get(rule);
    return check !== undefined && evaluate(check, credentials(caller), target, (name) => this.rules.get(name));
  }

  authorize(rule: PolicyRule, caller: CallerContext, target: Target): void {
    if (!this.allows(rule, caller, target)) throw forbidden(`You are not authorized to complete ${rule} action.`);
  }

  onModuleDestroy(): void {
    if (this.file) unwatchFile(this.file);
  }

  private reload(file: string): void {
    try {
      this.rules = loadRules(file, this.referenced);
      this.logger.log(`reloaded ${file}`);
    } catch (error) {
      this.logger.error(`keeping the previous policy: ${(error as Error).message}`);
    }
  }
}

/**
 * The target of an image rule, as Glance's ImageTarget: project_id and owner are the image's
 * owner, member_id is the caller when it sees a shared image it does not own (a member).
 */
export function imageTarget(image: ImageRecord, caller: CallerContext): Target {
  const member = image.visibility === 'shared' && image.owner !== caller.projectId ? caller.projectId : null;
  return { project_id: image.owner, owner: image.owner, visibility: image.visibility, member_id: member };
}
