"""Companies in the admin, with what the seminars add: revoking the links to their pages."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ctpat.admin import CompanyAdmin
from ctpat.models import Company
from events.company_links import company_links_revoke

admin.site.unregister(Company)


@admin.register(Company)
class CompanyWithLinksAdmin(CompanyAdmin):
    actions = [*CompanyAdmin.actions, "revoke_company_links"]

    @admin.action(
        description=_("Revoke the links to the selected companies' pages"),
        permissions=["change"],
    )
    def revoke_company_links(self, request, queryset):
        revoked = sum(company_links_revoke(company=company) for company in queryset)
        self.message_user(
            request,
            ngettext("%(count)d link revoked.", "%(count)d links revoked.", revoked)
            % {"count": revoked},
            messages.SUCCESS,
        )
