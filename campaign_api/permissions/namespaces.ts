// The permission model of campaign_api, in the Ory Permission Language.
//
// Real Keto loads this file as it is (namespaces.location); the embedded engine parses and evaluates the same file.
// docs/permissions.md reads it aloud. Every permit lists the roles it accepts directly, rather than chaining
// permits (owner -> admin -> editor -> member): each hop costs Keto one level of its maximum depth (5), and a chain
// would leave an owner denied on a petition.

import { Namespace, Context } from "@ory/keto-namespace-types"

class User implements Namespace {}

class Organisation implements Namespace {
  related: {
    owners: User[]
    admins: User[]
    editors: User[]
    members: User[]
  }

  permits = {
    // Read the organisation's draft and archived campaigns and their petitions.
    view_campaigns: (ctx: Context): boolean =>
      this.related.owners.includes(ctx.subject) ||
      this.related.admins.includes(ctx.subject) ||
      this.related.editors.includes(ctx.subject) ||
      this.related.members.includes(ctx.subject),

    view_members: (ctx: Context): boolean =>
      this.related.owners.includes(ctx.subject) ||
      this.related.admins.includes(ctx.subject) ||
      this.related.editors.includes(ctx.subject) ||
      this.related.members.includes(ctx.subject),

    create_campaign: (ctx: Context): boolean =>
      this.related.owners.includes(ctx.subject) ||
      this.related.admins.includes(ctx.subject) ||
      this.related.editors.includes(ctx.subject),

    // Publish, close and archive; read and export signers' personal data; delete signatures.
    manage_campaigns: (ctx: Context): boolean =>
      this.related.owners.includes(ctx.subject) || this.related.admins.includes(ctx.subject),

    // Add or remove members and editors; grant direct campaign roles.
    manage_members: (ctx: Context): boolean =>
      this.related.owners.includes(ctx.subject) || this.related.admins.includes(ctx.subject),

    // Add or remove admins and owners; rename or delete the organisation.
    manage_admins: (ctx: Context): boolean => this.related.owners.includes(ctx.subject),
  }
}

class Campaign implements Namespace {
  related: {
    organisation: Organisation[]
    // Direct grants, for people outside the organisation (an agency working on one campaign).
    editors: User[]
    viewers: User[]
  }

  permits = {
    view: (ctx: Context): boolean =>
      this.related.viewers.includes(ctx.subject) ||
      this.related.editors.includes(ctx.subject) ||
      this.related.organisation.traverse((o) => o.permits.view_campaigns(ctx)),

    // Edit the campaign; create and edit its petitions.
    edit: (ctx: Context): boolean =>
      this.related.editors.includes(ctx.subject) ||
      this.related.organisation.traverse((o) => o.permits.create_campaign(ctx)),

    // Publish and archive.
    publish: (ctx: Context): boolean => this.related.organisation.traverse((o) => o.permits.manage_campaigns(ctx)),

    read_signatures: (ctx: Context): boolean =>
      this.related.organisation.traverse((o) => o.permits.manage_campaigns(ctx)),

    delete_signatures: (ctx: Context): boolean =>
      this.related.organisation.traverse((o) => o.permits.manage_campaigns(ctx)),

    grant_roles: (ctx: Context): boolean => this.related.organisation.traverse((o) => o.permits.manage_members(ctx)),
  }
}

class Petition implements Namespace {
  related: {
    campaign: Campaign[]
  }

  permits = {
    view: (ctx: Context): boolean => this.related.campaign.traverse((c) => c.permits.view(ctx)),
    edit: (ctx: Context): boolean => this.related.campaign.traverse((c) => c.permits.edit(ctx)),
    // Open and close.
    publish: (ctx: Context): boolean => this.related.campaign.traverse((c) => c.permits.publish(ctx)),
    read_signatures: (ctx: Context): boolean => this.related.campaign.traverse((c) => c.permits.read_signatures(ctx)),
    delete_signatures: (ctx: Context): boolean =>
      this.related.campaign.traverse((c) => c.permits.delete_signatures(ctx)),
  }
}
