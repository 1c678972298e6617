"""The e-form on the filing pages. It is not a WTForms class: the catalogue decides its
fields at run time, so it lives in the domain module district_portal.eform, which reads posted
text with DossierForm.from_formdata. Imported here so the views take every form from forms/."""

from district_portal.eform import DossierForm

__all__ = ["DossierForm"]
