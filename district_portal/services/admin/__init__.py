"""The admin console's services (issue 13): the audit log and the changes admins make to the
catalogue, offices, accounts and calendar. No Flask imports here."""
