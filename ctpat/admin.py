from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ctpat.admin_import import (
    PartnerListForm,
    preview_lists,
    upload_forget,
    upload_keep,
    upload_previewed,
)
from ctpat.admin_inlines import UntitledRowsMixin
from ctpat.exceptions import PartnerListError
from ctpat.models import Certification, Company, User
from ctpat.services import ImportResult, companies_import, company_set_status

admin.site.register(User, UserAdmin)


class CertificationInline(UntitledRowsMixin, admin.TabularInline):
    """The history is kept, never rewritten: staff add a step, which becomes the current status."""

    model = Certification
    extra = 0
    fields = ["status", "effective_on", "expires_on", "note", "recorded_at"]
    readonly_fields = ["recorded_at"]
    ordering = ["-effective_on", "-recorded_at"]
    verbose_name = _("certification step")
    verbose_name_plural = _("certification history (newest first; add a step to change status)")

    def get_queryset(self, request):
        # Each row is titled by its __str__, which names the company's account number.
        return super().get_queryset(request).select_related("company")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = [
        "account_number",
        "legal_name",
        "business_type",
        "country",
        "status",
        "expires_on",
    ]
    list_filter = ["status", "business_type", "country"]
    # Account numbers by their beginning (a whole one is a beginning too); names anywhere.
    search_fields = ["^account_number", "legal_name"]
    search_help_text = _("A CTPAT account number (or its beginning) or part of the legal name.")
    list_select_related = False  # every column is on the company's own row
    list_per_page = 100
    # The status mirrors the latest certification step: it changes by adding one below.
    readonly_fields = ["status", "certified_on", "expires_on", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["account_number", "legal_name", "business_type", "country"]}),
        (
            _("Certification"),
            {"fields": ["status", "importer_tier", "certified_on", "expires_on"]},
        ),
        (
            _("Identifiers"),
            {
                "classes": ["collapse"],
                "fields": [
                    "ior_number",
                    "mid",
                    "scac",
                    "dot_number",
                    "fmc_number",
                    "iata_code",
                    "sct_permit",
                ],
            },
        ),
        (_("Point of contact"), {"fields": ["poc_name", "poc_email"]}),
        (None, {"fields": ["created_at", "updated_at"]}),
    ]
    inlines = [CertificationInline]
    change_list_template = "admin/ctpat/company/change_list.html"

    def get_readonly_fields(self, request, obj=None):
        if obj is None:  # a new partner gets its first status here, recorded as its first step
            return ["created_at", "updated_at"]
        return super().get_readonly_fields(request, obj)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change and obj.status:
            Certification.objects.create(
                company=obj,
                status=obj.status,
                effective_on=obj.certified_on or timezone.localdate(),
                expires_on=obj.expires_on,
                note=_("Entered in the admin"),
            )

    def save_formset(self, request, form, formset, change):
        if formset.model is not Certification:
            return super().save_formset(request, form, formset, change)
        steps = sorted(formset.save(commit=False), key=lambda step: step.effective_on)
        for step in steps:
            company_set_status(
                company=form.instance,
                status=step.status,
                effective_on=step.effective_on,
                expires_on=step.expires_on,
                note=step.note,
            )

    def get_urls(self):
        view = self.admin_site.admin_view(self.import_view)
        return [path("import/", view, name="ctpat_company_import"), *super().get_urls()]

    def has_import_permission(self, request) -> bool:
        return self.has_add_permission(request) and self.has_change_permission(request)

    def changelist_view(self, request, extra_context=None):
        extra_context = {"can_import": self.has_import_permission(request), **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def import_view(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        if request.method != "POST":
            return self._import_page(request, PartnerListForm())
        form = PartnerListForm(request.POST, request.FILES)
        if not form.is_valid():
            return self._import_page(request, form)
        if "_confirm" in request.POST:
            return self._import_confirm(request, form)
        if form.data_bytes is None:
            form.add_error("file", _("Choose the partner list to preview."))
            return self._import_page(request, form)
        return self._import_preview(request, form.data_bytes, name=form.cleaned_data["file"].name)

    def _import_preview(self, request, data: bytes, *, name: str):
        try:
            result = companies_import(data=data, dry_run=True)
        except PartnerListError as exc:
            return self._import_refused(request, exc)
        preview, kept = upload_keep(request.session, data)
        confirm_form = PartnerListForm(initial={"preview": preview})
        return self._import_page(request, confirm_form, result=result, name=name, kept=kept)

    def _import_confirm(self, request, form):
        sent = form.data_bytes
        data = upload_previewed(request.session, preview=form.cleaned_data["preview"], sent=sent)
        if data is None:
            messages.error(
                request,
                _(
                    "This is not the file that was previewed, or the preview is more than an "
                    "hour old. Nothing was saved; check the preview below and confirm again."
                )
                if sent is not None
                else _(
                    "The preview is more than an hour old, or another file was previewed since. "
                    "Nothing was saved; choose the file again."
                ),
            )
            if sent is None:
                return self._import_page(request, PartnerListForm())
            return self._import_preview(request, sent, name=form.cleaned_data["file"].name)
        try:
            result = companies_import(data=data)
        except PartnerListError as exc:
            return self._import_refused(request, exc)
        upload_forget(request.session)
        messages.success(request, self._summary(result))
        return redirect(reverse("admin:ctpat_company_changelist"))

    def _import_refused(self, request, exc: PartnerListError):
        messages.error(request, _("%(error)s Nothing was saved.") % {"error": exc.message})
        return self._import_page(request, PartnerListForm())

    def _import_page(
        self, request, form, *, result: ImportResult | None = None, name=None, kept=False
    ):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Import partner list"),
            "form": form,
            "result": result,
            "file_name": name,
            "kept": kept,
            "summary": self._summary(result) if result else "",
            **(preview_lists(result) if result else {}),
        }
        return TemplateResponse(request, "admin/ctpat/company/import.html", context)

    @staticmethod
    def _summary(result: ImportResult) -> str:
        return ngettext(
            "%(total)d company in the file: %(created)d created, %(updated)d updated, "
            "%(unchanged)d unchanged; %(changes)d status changes.",
            "%(total)d companies in the file: %(created)d created, %(updated)d updated, "
            "%(unchanged)d unchanged; %(changes)d status changes.",
            result.total,
        ) % {
            "total": result.total,
            "created": len(result.created),
            "updated": len(result.updated),
            "unchanged": len(result.unchanged),
            "changes": len(result.status_changes),
        }
