import { Controller, UseFilters, UseInterceptors } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  type CallerContext,
  type CreateMemberRequest,
  type MemberRecord,
  type MemberRequest,
  MemberSubjects,
  type UpdateMemberRequest,
} from '@glimpse/contracts';
import { BusExceptionFilter, TraceContextInterceptor } from '@glimpse/bus';
import { MemberCatalog } from './member-catalog';

/** Answers the registry's member subjects. */
@Controller()
@UseFilters(BusExceptionFilter)
@UseInterceptors(TraceContextInterceptor)
export class MembersHandler {
  constructor(private readonly members: MemberCatalog) {}

  @MessagePattern(MemberSubjects.create)
  create(@Payload() request: CreateMemberRequest): Promise<MemberRecord> {
    return this.members.create(request);
  }

  @MessagePattern(MemberSubjects.list)
  async list(@Payload() request: { caller: CallerContext; imageId: string }): Promise<{ members: MemberRecord[] }> {
    return { members: await this.members.list(request.caller, request.imageId) };
  }

  @MessagePattern(MemberSubjects.get)
  get(@Payload() request: MemberRequest): Promise<MemberRecord> {
    return this.members.get(request.caller, request.imageId, request.memberId);
  }

  @MessagePattern(MemberSubjects.update)
  update(@Payload() request: UpdateMemberRequest): Promise<MemberRecord> {
    return this.members.update(request);
  }

  @MessagePattern(MemberSubjects.delete)
  async delete(@Payload() request: MemberRequest): Promise<{ deleted: true }> {
    await this.members.delete(request.caller, request.imageId, request.memberId);
    return { deleted: true };
  }
}
