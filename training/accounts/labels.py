"""Names of roles for people, in every language."""

from flask_babel import lazy_gettext as _l

from training.accounts.models import Role

ROLE_LABELS = {
    Role.learner: _l("Participante"),
    Role.coordinator: _l("Coordinación de formación"),
    Role.issuer: _l("Firma de certificados"),
    Role.regional: _l("Secretaría Técnica regional"),
    Role.admin: _l("Administración de la plataforma"),
}
