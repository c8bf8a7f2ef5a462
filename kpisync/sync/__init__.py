"""Salesforce to the local store: auth, REST client, SOQL builder and the incremental sync job."""
