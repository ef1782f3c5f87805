from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from ctpat.models import Certification, Company, User

admin.site.register(User, UserAdmin)


class CertificationInline(admin.TabularInline):
    model = Certification
    extra = 0
    ordering = ["-effective_on", "-recorded_at"]


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
    search_fields = ["account_number", "legal_name"]
    inlines = [CertificationInline]
