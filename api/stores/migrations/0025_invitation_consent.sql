-- Entry invitations answered in the worker's app: the worker authorises the project to use
-- their real-name and bank card data, and confirms with their live face. Owner:
-- api/stores/invitations.py.
ALTER TABLE entry_invitations ADD COLUMN IF NOT EXISTS data_authorized_at timestamptz;
ALTER TABLE entry_invitations ADD COLUMN IF NOT EXISTS face_score real;
