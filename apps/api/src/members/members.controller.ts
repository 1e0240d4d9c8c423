import { Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Req } from '@nestjs/common';
import { RegistryClient } from '@glimpse/bus';
import {
  type CallerContext,
  GlimpseError,
  MEMBER_STATUSES,
  type MemberStatus,
  MemberSubjects,
  RegistrySubjects,
  badRequest,
  notFound,
} from '@glimpse/contracts';
import type { Request } from 'express';
import { API_SETTINGS, type ApiSettings } from '../api.settings';
import { readJsonBody } from '../http/json-body';
import { Caller } from '../identity/caller.decorator';
import { PolicyEnforcer } from '@glimpse/access';
import { memberView } from './member-view';

/** /v2/images/{id}/members: sharing an image with other projects. */
@Controller('v2/images/:id/members')
export class MembersController {
  constructor(
    private readonly registry: RegistryClient,
    private readonly policy: PolicyEnforcer,
    @Inject(API_SETTINGS) private readonly settings: ApiSettings,
  ) {}

  @Post()
  @HttpCode(200)
  async create(@Caller() caller: CallerContext, @Param('id') imageId: string, @Req() req: Request): Promise<Record<string, unknown>> {
    const body = await readJsonBody(req);
    const memberId = (body as { member?: unknown } | null)?.member;
    if (typeof memberId !== 'string' || memberId.trim() === '') {
      throw badRequest('Member to be added not specified: the body must be {"member": "<project id>"}.');
    }
    if (memberId.length > 255) throw badRequest('Member ids may not be longer than 255 characters.');
    const owner = await this.owner(caller, imageId);
    this.policy.authorize('add_member', caller, { project_id: owner, member_id: memberId });
    const member = await this.registry.request(MemberSubjects.create, {
      caller,
      imageId,
      memberId,
      quota: this.settings.imageMemberQuota,
    });
    return memberView(member);
  }

  @Get()
  async list(@Caller() caller: CallerContext, @Param('id') imageId: string): Promise<Record<string, unknown>> {
    const owner = await this.owner(caller, imageId);
    this.policy.authorize('get_members', caller, { project_id: owner, member_id: caller.projectId });
    const { members } = await this.registry.request(MemberSubjects.list, { caller, imageId });
    return { members: members.map(memberView), schema: '/v2/schemas/members' };
  }

  @Get(':member')
  async show(@Caller() caller: CallerContext, @Param('id') imageId: string, @Param('member') memberId: string): Promise<Record<string, unknown>> {
    const owner = await this.owner(caller, imageId);
    if (!this.policy.allows('get_member', caller, { project_id: owner, member_id: memberId })) {
      throw notFound(`Member ${memberId} not found on image ${imageId}.`);
    }
    return memberView(await this.registry.request(MemberSubjects.get, { caller, imageId, memberId }));
  }

  @Put(':member')
  async update(
    @Caller() caller: CallerContext,
    @Param('id') imageId: string,
    @Param('member') memberId: string,
    @Req() req: Request,
  ): Promise<Record<string, unknown>> {
    const body = await readJsonBody(req);
    const status = (body as { status?: unknown } | null)?.status;
    if (typeof status !== 'string' || !(MEMBER_STATUSES as readonly string[]).includes(status)) {
      throw badRequest(`Invalid status: ${JSON.stringify(status)}; it must be one of ${MEMBER_STATUSES.join(', ')}.`);
    }
    const owner = await this.owner(caller, imageId);
    this.policy.authorize('modify_member', caller, { project_id: owner, member_id: memberId });
    const member = await this.registry.request(MemberSubjects.update, { caller, imageId, memberId, status: status as MemberStatus });
    return memberView(member);
  }

  @Delete(':member')
  @HttpCode(204)
  async delete(@Caller() caller: CallerContext, @Param('id') imageId: string, @Param('member') memberId: string): Promise<void> {
    const owner = await this.owner(caller, imageId);
    this.policy.authorize('delete_member', caller, { project_id: owner, member_id: memberId });
    await this.registry.request(MemberSubjects.delete, { caller, imageId, memberId });
  }

  /** The image must be visible to the caller (404 otherwise); its owner is the rules' project. */
  private async owner(caller: CallerContext, imageId: string): Promise<string | null> {
    try {
      return (await this.registry.request(RegistrySubjects.getImage, { caller, id: imageId })).owner;
    } catch (error) {
      if (error instanceof GlimpseError && error.code === 'not_found') throw notFound(`Image ${imageId} not found.`);
      throw error;
    }
  }
}
